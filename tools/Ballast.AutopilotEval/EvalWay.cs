namespace Ballast.AutopilotEval;

/// <summary>How the guests' memory is managed in one run of the scenario.</summary>
public enum EvalWay
{
    /// <summary><c>ballast serve</c> with the stock driver (stats, deflate-on-oom), no target, no free page reporting.</summary>
    NoBalloon,

    /// <summary>As <see cref="NoBalloon"/> plus free page reporting (the guest hands free 2 MiB blocks back); no target.</summary>
    Reporting,

    /// <summary>As <see cref="Reporting"/>, with <c>ballast autopilot</c> setting every guest's target.</summary>
    Autopilot,
}
