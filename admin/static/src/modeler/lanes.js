/*
 * A user task's department is its lane: the lane's name is a group code (or display name). Picking a
 * department moves the task into that group's lane, adding the lane (named with the code) when the pool has
 * none, and the pool itself when the diagram is a bare process.
 */

import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { isHorizontal } from 'bpmn-js/lib/util/DiUtil';

const LANE_INDENT = 30;

function lanesUnder(shape) {
  const found = [];
  (shape.children || []).forEach((child) => {
    if (is(child, 'bpmn:Lane')) {
      found.push(child, ...lanesUnder(child));
    }
  });
  return found;
}

function leaves(lanes) {
  return lanes.filter((lane) => !lanes.some((other) => other.parent === lane));
}

export function participantOf(element) {
  let parent = element.parent;
  while (parent && !is(parent, 'bpmn:Participant')) {
    parent = parent.parent;
  }
  return parent || null;
}

/** The innermost lane that holds the element (bpmn:Lane flowNodeRef), or null. */
export function laneOf(elementRegistry, element) {
  const bo = getBusinessObject(element);
  const holding = elementRegistry.filter(
    (e) => is(e, 'bpmn:Lane') && (getBusinessObject(e).get('flowNodeRef') || []).includes(bo)
  );
  return leaves(holding)[0] || null;
}

export function groupOfLane(groups, lane) {
  const name = lane ? (getBusinessObject(lane).name || '').trim() : '';
  return name ? groups.find((g) => g.code === name || g.name === name) || null : null;
}

function ensurePool(injector, element) {
  const existing = participantOf(element);
  if (existing) {
    return existing;
  }
  const canvas = injector.get('canvas');
  const modeling = injector.get('modeling');
  const root = canvas.getRootElement();
  // On a bare process bpmn-js wraps every element into the new pool (CreateParticipantBehavior).
  const pool = modeling.createShape(
    { type: 'bpmn:Participant' },
    { x: element.x + element.width / 2, y: element.y + element.height / 2 },
    root
  );
  return is(pool, 'bpmn:Participant') ? pool : participantOf(element);
}

function laneFor(injector, pool, group) {
  const modeling = injector.get('modeling');
  const lanes = lanesUnder(pool);
  const found = leaves(lanes).find((lane) => groupOfLane([group], lane));
  if (found) {
    return found;
  }
  const horizontal = isHorizontal(pool);
  let lane;
  if (!lanes.length) {
    // The pool's first lane covers the whole pool: what was drawn in it belongs to this department.
    const bounds = horizontal
      ? { x: pool.x + LANE_INDENT, y: pool.y, width: pool.width - LANE_INDENT, height: pool.height }
      : { x: pool.x, y: pool.y + LANE_INDENT, width: pool.width, height: pool.height - LANE_INDENT };
    lane = modeling.createShape({ type: 'bpmn:Lane', isHorizontal: horizontal }, bounds, pool);
  } else {
    lane = modeling.addLane(pool, horizontal ? 'bottom' : 'right');
  }
  modeling.updateProperties(lane, { name: group.code });
  return lane;
}

/** Move `element` (with what is attached to it) into the lane of `group`. */
export function assignDepartment(injector, element, group) {
  const modeling = injector.get('modeling');
  const pool = ensurePool(injector, element);
  if (!pool) {
    return;
  }
  const lane = laneFor(injector, pool, group);
  const horizontal = isHorizontal(lane);
  const middle = { x: element.x + element.width / 2, y: element.y + element.height / 2 };
  const delta = { x: 0, y: 0 };
  if (horizontal && (middle.y <= lane.y + 5 || middle.y >= lane.y + lane.height - 5)) {
    delta.y = Math.round(lane.y + lane.height / 2 - middle.y);
  }
  if (!horizontal && (middle.x <= lane.x + 5 || middle.x >= lane.x + lane.width - 5)) {
    delta.x = Math.round(lane.x + lane.width / 2 - middle.x);
  }
  if (delta.x || delta.y) {
    modeling.moveElements([element], delta, pool);
  } else if (!getBusinessObject(lane).get('flowNodeRef').includes(getBusinessObject(element))) {
    modeling.moveElements([element], { x: 0, y: 0 }, pool);
  }
}
