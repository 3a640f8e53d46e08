"""Learning pages: the manager workspace (tasks, assigning, catalogs, courses, settings)
and the agent's "My learning" with each task's content."""
