"""The runtime around the pure core: plugins, sources, sinks, the command line. Standard library only."""
