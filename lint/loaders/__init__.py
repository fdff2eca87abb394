"""Loaders turn one input file into the artifact a layer's rules read, or into one TRT9xx finding."""
