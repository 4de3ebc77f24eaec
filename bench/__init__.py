"""Side-by-side benchmark of the pipeline against the engine floor and a plain-pandas peer (`make bench`)."""
