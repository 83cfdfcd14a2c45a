import ArgumentParser

@main
struct AcquirerSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acquirer-sim",
        abstract: "A real acquirer host over mutual TLS, for tests, demos and bench tests of boards.",
        discussion: "Protocol: Docs/acquirer-api.yaml. Certificates: `qrpos pki dev --out DIR`.",
        subcommands: [ServeCommand.self, EnrollCodeCommand.self, BenchCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
