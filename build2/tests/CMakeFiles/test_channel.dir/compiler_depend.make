# Empty compiler generated dependencies file for test_channel.
# This may be replaced when dependencies are built.
