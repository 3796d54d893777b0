"""The repository's tools: setup and test scripts, benchmarks, and ``generators`` (the files
made from the library's own types). Not part of the installed package."""
