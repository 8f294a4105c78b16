# Empty compiler generated dependencies file for test_envspec.
# This may be replaced when dependencies are built.
