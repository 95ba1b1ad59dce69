fn main() -> std::process::ExitCode {
    paii::cli::main()
}
