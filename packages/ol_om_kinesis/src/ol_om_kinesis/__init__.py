"""ol-om-kinesis: skeleton; the implementation arrives with its own issue."""
