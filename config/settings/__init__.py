"""Settings package: ``base`` holds everything; ``local``, ``test`` and ``production`` adjust it."""
