/* empty.c — the shared library is the static library linked whole (cmake/install.cmake). */
