from gtfs_builder.cli import main

main()
