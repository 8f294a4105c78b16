# Empty compiler generated dependencies file for test_install_links.
# This may be replaced when dependencies are built.
