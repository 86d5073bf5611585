using System.Diagnostics;

namespace Ovnsim.Tests;

/// <summary>
/// Runs the real OVN (Debian's ovn-central 23.03.1) through tools/northd-golden.sh: an nbctl command file in, the
/// real nb.db, sb.db and <c>ovn-sbctl dump-flows</c> out. CI installs the packages (.ci/run); a machine without
/// them fails these tests with a message saying so, unless OVNSIM_NO_REAL_OVN=1 opts out explicitly.
/// </summary>
internal static class RealOvn
{
    /// <summary>Whether the tests that need real OVN were explicitly opted out of.</summary>
    public static bool OptedOut => Environment.GetEnvironmentVariable("OVNSIM_NO_REAL_OVN") == "1";

    /// <summary>The repository root (where tools/ is), found upward from the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "tools", "northd-golden.sh")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("tools/northd-golden.sh not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Fails clearly when ovn-northd (and, for a hypervisor, ovn-controller and ovs-vswitchd) is missing.</summary>
    public static void RequireInstalled(bool hypervisor = false)
    {
        if (!File.Exists("/usr/bin/ovn-northd") || !File.Exists("/usr/sbin/ovsdb-server"))
        {
            throw new InvalidOperationException(
                "real OVN is not installed: tools/install-ovn.sh (or set OVNSIM_NO_REAL_OVN=1 to skip these tests)");
        }

        if (hypervisor && (!File.Exists("/usr/bin/ovn-controller") || !File.Exists("/usr/sbin/ovs-vswitchd")))
        {
            throw new InvalidOperationException(
                "ovn-controller or ovs-vswitchd is not installed: tools/install-ovn.sh (or set OVNSIM_NO_REAL_OVN=1)");
        }
    }

    /// <summary>
    /// Builds the commands in real OVN; returns the directory holding nb.db, sb.db and lflows.txt. With
    /// <paramref name="packets"/> (a packets.tsv; needs <paramref name="withController"/>) the frames are also injected
    /// after <paramref name="garpWaitSeconds"/>, and steps.txt and the tx pcaps record what came out.
    /// </summary>
    public static string RunNorthd(string commands, bool withController = false, string? packets = null, int garpWaitSeconds = 35)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ovnsim-real", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, "commands.nbctl");
        File.WriteAllText(file, commands);
        if (packets is not null)
        {
            File.WriteAllText(Path.Combine(dir, "packets.tsv"), packets);
        }

        string[] args = withController
            ? [Path.Combine(RepositoryRoot, "tools", "northd-golden.sh"), "--controller", file, dir]
            : [Path.Combine(RepositoryRoot, "tools", "northd-golden.sh"), file, dir];
        var start = new ProcessStartInfo("bash", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["GARP_WAIT"] = garpWaitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        int limitSeconds = packets is null ? 120 : 300;
        if (!process.WaitForExit(limitSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"northd-golden.sh did not finish in {limitSeconds} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"northd-golden.sh failed ({process.ExitCode}):\n{stderr.Result}\n--- commands ---\n{commands}");
        }

        return dir;
    }
}
