"""External training records: training people took elsewhere, entered or imported,
approved and counted towards their modules."""
