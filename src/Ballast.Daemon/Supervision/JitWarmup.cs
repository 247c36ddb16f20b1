using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Ballast.Daemon.Supervision;

/// <summary>
/// Compiles ahead of need the code a take-over runs while the guest's rings are stopped. A new worker (and the new
/// supervisor) would otherwise JIT every method of the resume path — the records, the memory table, the rings, the
/// device — the first time it runs, inside the pause; done while the old worker still serves, that time is not the
/// guest's. Generic methods and methods that cannot be prepared are skipped (they compile when first called).
/// </summary>
internal static class JitWarmup
{
    /// <summary>Prepares every non-generic method with a body of every type in the assemblies of <paramref name="anchors"/>.</summary>
    /// <returns>How many methods were prepared; 0 in a NativeAOT build (<c>ballastd</c>), where nothing is left to compile.</returns>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reflection runs only with a JIT (IsDynamicCodeCompiled); a JIT build is not trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2065", Justification = "Reflection runs only with a JIT (IsDynamicCodeCompiled); a JIT build is not trimmed.")]
    public static int Prepare(params Type[] anchors)
    {
        if (!RuntimeFeature.IsDynamicCodeCompiled)
            return 0;
        var prepared = 0;
        foreach (var assembly in anchors.Select(t => t.Assembly).Distinct())
        {
            Type[] types;
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                types = [.. e.Types.OfType<Type>()];
            }
            foreach (var type in types)
            {
                if (type.ContainsGenericParameters)
                    continue;
                const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
                foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
                {
                    if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() is null)
                        continue;
                    try
                    {
                        RuntimeHelpers.PrepareMethod(method.MethodHandle);
                        prepared++;
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or TypeLoadException or BadImageFormatException)
                    {
                        // Some methods cannot be prepared ahead (e.g. ones with function pointers): they JIT when called.
                    }
                }
            }
        }
        return prepared;
    }
}
