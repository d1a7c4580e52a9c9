"""ol-om-sink: skeleton; the implementation arrives with its own issue."""
