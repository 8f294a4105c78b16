# Empty dependencies file for test_layer.
# This may be replaced when dependencies are built.
