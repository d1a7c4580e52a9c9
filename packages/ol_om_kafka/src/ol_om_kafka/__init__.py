"""ol-om-kafka: skeleton; the implementation arrives with its own issue."""
