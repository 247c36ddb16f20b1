using System.CommandLine;
using Ballast.Daemon.Commands;

// `ballastd serve ...` is `ballast serve ...` (its supervisor starts this very program as its worker), and
// `ballastd balloon ...` is `ballast balloon ...`; `--version` and `--help` come with the root command.
var root = new RootCommand("ballastd: the Ballast balloon daemon (a virtio balloon for QEMU over vhost-user, and its management API).")
{
    new ServeCommand { CanSupervise = true },
    new BalloonCommand(),
};
return await CommandLineApp.InvokeAsync("ballastd", root, args).ConfigureAwait(false);
