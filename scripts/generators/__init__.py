"""The generators of the repository's committed files made from the library's own types.

Each is run from the repository root, writes one file named by its ``TARGET`` (a path
relative to the repository root), and with ``--check`` writes nothing and exits 1 when the
committed file is stale (the unit tests run the same check):

    python -m scripts.generators.args            # components/pulumi_flink/package/args.py
    python -m scripts.generators.config_schema   # stacks/stack-config.schema.json
    python -m scripts.generators.defaults_doc    # the defaults table in README.md
    python -m scripts.generators.flink_options   # components/pulumi_flink/model/flink_options.json

They live outside ``components/`` so the installed package ships none of them: the runtime
reads what they wrote and never imports them.
"""
