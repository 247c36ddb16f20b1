using Ballast.Fuzz.Balloon;
using Ballast.Fuzz.Ring;
using Ballast.Fuzz.VhostUser;

namespace Ballast.Fuzz;

/// <summary>The targets by name, and their seed corpora.</summary>
internal static class FuzzTargets
{
    public static readonly string[] Names = ["vhost-user", "ring", "balloon"];

    /// <summary>Creates the target named <paramref name="name"/>, or null.</summary>
    public static IFuzzTarget? Create(string name) => name switch
    {
        "vhost-user" => new VhostUserTarget(),
        "ring" => new RingTarget(),
        "balloon" => new BalloonTarget(),
        _ => null,
    };

    /// <summary>The seeds of target <paramref name="name"/> as (file name, bytes).</summary>
    public static IEnumerable<(string Name, byte[] Input)> Seeds(string name) => name switch
    {
        "vhost-user" => VhostUserSeeds.All(),
        "ring" => RingSeeds.All(),
        "balloon" => BalloonSeeds.All(),
        _ => throw new ArgumentException($"unknown target {name}", nameof(name)),
    };

    /// <summary>Writes every target's seeds to <c>DIR/TARGET/NAME</c>, replacing what was there.</summary>
    public static int WriteSeeds(string directory)
    {
        var written = 0;
        foreach (var target in Names)
        {
            var folder = Path.Combine(directory, target);
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(folder);
            foreach (var (name, input) in Seeds(target))
            {
                File.WriteAllBytes(Path.Combine(folder, name), input);
                written++;
            }
        }
        return written;
    }
}
