using Xunit.Abstractions;
using Xunit.Sdk;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>Makes a <see cref="SkippableTestCase"/> of each <see cref="SkippableFactAttribute"/> method.</summary>
public sealed class SkippableFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    /// <summary>The type name for <c>[XunitTestCaseDiscoverer]</c>.</summary>
    public const string TypeName = "Ballast.Guest.Tests.Infrastructure.SkippableFactDiscoverer";

    /// <inheritdoc/>
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        [new SkippableTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)];
}
