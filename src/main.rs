fn main() -> std::process::ExitCode {
    polyrun::cli::main()
}
