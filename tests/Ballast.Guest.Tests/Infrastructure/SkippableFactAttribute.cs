using Xunit.Sdk;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// A <see cref="FactAttribute"/> whose test may end as skipped at run time by throwing <see cref="SkipException"/>
/// (xunit 2 only knows skips declared up front).
/// </summary>
[XunitTestCaseDiscoverer(SkippableFactDiscoverer.TypeName, OrderedTests.AssemblyName)]
[AttributeUsage(AttributeTargets.Method)]
public sealed class SkippableFactAttribute : FactAttribute;
