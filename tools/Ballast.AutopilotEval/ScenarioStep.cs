namespace Ballast.AutopilotEval;

/// <summary>One console command the scenario sends a guest.</summary>
/// <param name="AtSeconds">When, in seconds from the scenario's start.</param>
/// <param name="Command">The console line (guest/README.md "Console commands"): <c>hog MIB CHUNK PAUSE</c> or <c>unhog</c>.</param>
/// <param name="Phase">The phase it belongs to: grow, free, churn or end.</param>
public sealed record ScenarioStep(double AtSeconds, string Command, string Phase);
