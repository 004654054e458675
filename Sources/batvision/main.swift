import BatvisionCLI

// The executable is the CLI library's entry point; the commands live in BatvisionCLI so
// that tests and fuzz harnesses reach them too.
Batvision.main()
