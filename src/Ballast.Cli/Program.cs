using Ballast.Cli;
using Ballast.Cli.Bench;
using Ballast.Cli.Commands;

var bench = new BenchCommand(() => new InProcessBenchEngine());
return await CliApp.InvokeAsync(CliApp.CreateRootCommand(bench), args).ConfigureAwait(false);
