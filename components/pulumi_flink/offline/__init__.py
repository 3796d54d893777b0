"""The offline tools: render a stack to manifests, summarise it, diff two renders, the CLI."""
