"""OneWindow's core: definitions, engine, tasks, jobs and their store. Knows nothing of the web."""
