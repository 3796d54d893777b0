"""The Pulumi program of every environment stack: `pulumi up -s dev`."""

from pulumi_flink.program import main

main()
