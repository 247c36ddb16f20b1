using Xunit.Abstractions;
using Xunit.Sdk;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>
/// Runs a class's tests in <see cref="OrderAttribute"/> order: they share one booted guest and each leaves it in the
/// state the next one starts from (an empty balloon), as a person at the console would go through them.
/// </summary>
public sealed class OrderedTests : ITestCaseOrderer
{
    /// <summary>The type name for <c>[TestCaseOrderer]</c>.</summary>
    public const string TypeName = "Ballast.Guest.Tests.Infrastructure.OrderedTests";

    /// <summary>The assembly name for <c>[TestCaseOrderer]</c>.</summary>
    public const string AssemblyName = "Ballast.Guest.Tests";

    /// <inheritdoc/>
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases)
        where TTestCase : ITestCase =>
        testCases.OrderBy(test => Position(test)).ThenBy(test => test.TestMethod.Method.Name, StringComparer.Ordinal);

    private static int Position(ITestCase test) =>
        test.TestMethod.Method.GetCustomAttributes(typeof(OrderAttribute).AssemblyQualifiedName).FirstOrDefault()
            ?.GetConstructorArguments().OfType<int>().FirstOrDefault() ?? int.MaxValue;
}
