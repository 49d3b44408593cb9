/// `sluice completion bash|zsh`: prints a shell completion script for the commands, ctl's
/// subcommands and every command's options (from the commands' own `OptionNames`).
enum CompletionCommand {
    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        if arguments == ["--help"] { print(Help.completion); return 0 }
        switch arguments {
        case ["bash"]: print(bash)
        case ["zsh"]: print("# zsh completion for sluice: source <(sluice completion zsh)\n"
                            + "autoload -U +X bashcompinit && bashcompinit\n" + bash)
        default: throw UsageError("usage: sluice completion bash|zsh")
        }
        return 0
    }

    static let commands = ["serve", "check", "ctl", "demo", "completion", "help", "version"]

    /// `--a --b`, sorted, `--help` included.
    private static func words(_ names: OptionNames) -> String {
        names.valued.union(names.flags).union(["help"]).sorted().map { "--" + $0 }.joined(separator: " ")
    }

    /// The bash script (zsh runs it through bashcompinit).
    static var bash: String {
        """
        # bash completion for sluice: source <(sluice completion bash)
        _sluice() {
            local cur=${COMP_WORDS[COMP_CWORD]} command=${COMP_WORDS[1]} options=
            if [[ $COMP_CWORD -eq 1 ]]; then
                COMPREPLY=($(compgen -W "\(commands.joined(separator: " ")) --help --version" -- "$cur")); return
            fi
            case $command in
                serve) options="\(words(ServeCommand.names))" ;;
                check) options="\(words(CheckCommand.names))" ;;
                demo) options="\(words(DemoCommand.names))" ;;
                ctl)
                    options="\(words(CtlCommand.names))"
                    if [[ $COMP_CWORD -eq 2 && $cur != -* ]]; then
                        COMPREPLY=($(compgen -W "\(CtlCommand.commands.joined(separator: " "))" -- "$cur")); return
                    fi ;;
                completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
                help) COMPREPLY=($(compgen -W "serve check ctl demo completion env" -- "$cur")); return ;;
            esac
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$options" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
        }
        complete -F _sluice sluice
        """
    }
}
