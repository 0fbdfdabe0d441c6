"""Development support shared by tests/ and bench/: the scripted model server."""
