from retailsync.cli import main

main()
