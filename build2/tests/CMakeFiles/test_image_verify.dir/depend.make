# Empty dependencies file for test_image_verify.
# This may be replaced when dependencies are built.
