using Ballast.Cli;
using Ballast.Simulation.Experiment;
using Ballast.Cli.Commands;
using Ballast.Daemon.Commands;

var bench = new BenchCommand(() => new BenchEngine());
var root = CliApp.CreateRootCommand(bench, new ServeCommand { CanSupervise = true }, new BalloonCommand());
return await CliApp.InvokeAsync(root, args).ConfigureAwait(false);
