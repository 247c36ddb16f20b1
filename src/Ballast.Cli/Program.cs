using Ballast.Cli;
using Ballast.Cli.Commands;

var bench = new BenchCommand(() => throw new NotImplementedException("engine lands with the simulated guest"));
return await CliApp.InvokeAsync(CliApp.CreateRootCommand(bench), args).ConfigureAwait(false);
