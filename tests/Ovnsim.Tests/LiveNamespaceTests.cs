using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Ovnsim.Capture;
using Ovnsim.Engine;

namespace Ovnsim.Tests;

/// <summary>
/// The seed's demonstration with real kernels on both ends: two network namespaces this test creates (and always
/// removes) — the external host 172.24.4.1 on the provider network, and vm2 (10.0.0.12) with a TCP server on port
/// 22 — each on a TAP device the simulated topology owns. A real TCP connection from the external host to the
/// floating IP 172.24.4.111:2222 is port-forwarded to vm2:22 and carries vm2's greeting back.
/// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN), /dev/net/tun and iproute2, which CI has; elsewhere it says why it
/// did not run (OVNSIM_NO_NETNS=1 skips it on purpose).
/// </summary>
public sealed partial class LiveNamespaceTests
{
    private const string Greeting = "hello from vm2 via 172.24.4.111 port 2222";

    [Theory]
    [InlineData("tap")]
    [InlineData("if")]
    public void A_real_tcp_connection_to_the_floating_ip_reaches_vm2_through_the_simulated_topology(string externalPort)
    {
        if (Environment.GetEnvironmentVariable("OVNSIM_NO_NETNS") == "1")
        {
            return; // opted out explicitly
        }

        Assert.True(Environment.UserName == "root" && File.Exists("/dev/net/tun") && (File.Exists("/usr/sbin/ip") || File.Exists("/sbin/ip") || File.Exists("/usr/bin/ip")),
            "this test needs root, /dev/net/tun and iproute2 (as CI has); set OVNSIM_NO_NETNS=1 to skip it");

        RemoveStaleNamespaces();
        int id = Environment.ProcessId % 100_000;
        string nsExt = $"ovnsim-ext-{Environment.ProcessId}", nsVm = $"ovnsim-vm2-{Environment.ProcessId}"; // interface names need the shorter id
        string tapExt = $"ovse{id}", tapVm = $"ovsv{id}";
        var nb = Ovnsim.Ovsdb.Nbctl.NbctlScript.Run(File.ReadAllText(TestData.Seed("seed.nbctl")), "seed.nbctl");
        var sb = Ovnsim.Northd.Southbound.SouthboundWriter.Write(Ovnsim.Northd.NorthdCompiler.Compile(nb));
        var sim = new Simulator(sb, Ovnsim.OpenFlow.Hypervisor.Default(sb));
        using var stop = new CancellationTokenSource();
        Thread? runner = null;
        var log = new StringBuilder();
        try
        {
            Ip($"netns add {nsExt}");
            Ip($"netns add {nsVm}");
            foreach (string ns in new[] { nsExt, nsVm })
            {
                Ip($"netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
                Ip($"-n {ns} link set lo up");
            }

            // The external host is on a TAP device of ovnsim's, or on a veth pair whose other end ovnsim captures on
            // through libpcap (if:).
            string veth = $"ovsp{id}";
            if (externalPort == "if")
            {
                Ip($"link add {veth} type veth peer name {tapExt}");
                Ip($"link set {veth} up");
            }

            using var live = new LiveRunner(sim);
            live.Attach("provnet-c0458a6d-2f1e-4d3c-b2a1-9f8e7d6c5b43", externalPort == "if" ? new PcapPort(veth) : new TapPort(tapExt));
            live.Attach("vm2p", new TapPort(tapVm));

            // The TAP devices go into the namespaces (they stay attached to ovnsim's file descriptors).
            Ip($"link set {tapExt} netns {nsExt}");
            Ip($"-n {nsExt} link set {tapExt} address 52:54:00:00:04:01");
            Ip($"-n {nsExt} addr add 172.24.4.1/24 dev {tapExt}");
            Ip($"-n {nsExt} link set {tapExt} up");
            if (externalPort == "if")
            {
                // A veth hands libpcap TCP segments whose checksum the sender left to offload; the host must fill it
                // in (as with any capture-based forwarding, OVS's AF_PACKET ports included).
                Run("ip", $"netns exec {nsExt} ethtool -K {tapExt} tx off");
            }
            Ip($"link set {tapVm} netns {nsVm}");
            Ip($"-n {nsVm} link set {tapVm} address fa:16:3e:b0:3f:bf");
            Ip($"-n {nsVm} addr add 10.0.0.12/26 dev {tapVm}");
            Ip($"-n {nsVm} link set {tapVm} up");
            Ip($"-n {nsVm} route add default via 10.0.0.1");

            runner = new Thread(() => live.Run(stop.Token, each: s =>
            {
                lock (log)
                {
                    log.AppendLine($"{s.InPort ?? "controller"}: {(s.Frame is null ? "" : PacketDecode.Summary(s.Frame))} -> {s.Fate?.Kind} {s.Fate?.Stage} {s.Fate?.Reason} [{string.Join("; ", s.Outputs.Select(o => $"{o.Port}: {PacketDecode.Summary(o.Frame)}"))}]");
                }
            })) { IsBackground = true };
            runner.Start();

            // vm2's server, then the external host's client, each on a thread inside its namespace.
            using var listening = new ManualResetEventSlim();
            string? served = null;
            var server = InNamespace(nsVm, () =>
            {
                using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Any, 22));
                listener.Listen(1);
                listening.Set();
                listener.ReceiveTimeout = 20_000;
                var accept = listener.AcceptAsync();
                if (!accept.Wait(20_000))
                {
                    served = "no connection arrived";
                    return;
                }

                using var conn = accept.Result;
                conn.Send(Encoding.ASCII.GetBytes(Greeting + "\n"));
                served = $"served {conn.RemoteEndPoint}";
                conn.Shutdown(SocketShutdown.Both);
            });
            Assert.True(listening.Wait(10_000), "vm2's server did not start");

            string? received = null;
            var client = InNamespace(nsExt, () =>
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 15_000 };
                var connect = s.ConnectAsync(new IPEndPoint(IPAddress.Parse("172.24.4.111"), 2222));
                if (!connect.Wait(15_000))
                {
                    received = "connect timed out";
                    return;
                }

                var buffer = new byte[256];
                int total = 0, n;
                while ((n = s.Receive(buffer, total, buffer.Length - total, SocketFlags.None)) > 0)
                {
                    total += n;
                }

                received = Encoding.ASCII.GetString(buffer, 0, total);
            });
            client.Join(30_000);
            server.Join(30_000);
            string trace;
            lock (log)
            {
                trace = log.ToString();
            }

            Assert.True(received == Greeting + "\n", $"client got: {received ?? "(nothing)"}; server: {served}\n{trace}");

            // The connection went through the router's DNAT: conntrack holds it, from the external host to the FIP.
            Assert.Contains(sim.Bridge.Conntrack.Dump(), e => e.StartsWith("tcp,orig=(src=172.24.4.1,dst=172.24.4.111,", StringComparison.Ordinal)
                && e.Contains("dport=2222),reply=(src=10.0.0.12,dst=172.24.4.1,sport=22,", StringComparison.Ordinal));
        }
        finally
        {
            stop.Cancel();
            runner?.Join(5_000);
            TryIp($"netns del {nsExt}");
            TryIp($"netns del {nsVm}");
            TryIp($"link del ovsp{id}");
        }

        Assert.DoesNotContain(nsExt, RunIp("netns list").Output);
    }

    [Fact]
    public void Ovnsim_run_creates_its_tap_devices_forwards_until_stopped_and_prints_the_summary()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(2, Ovnsim.Cli.Program.Run(["run", "--nb", TestData.Seed("seed.nbctl"), "--port", "vm2p=eth0"], stdout, stderr));
        Assert.Contains("expected PORT=tap:NAME or PORT=if:NAME", stderr.ToString(), StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("OVNSIM_NO_NETNS") == "1")
        {
            return; // opted out explicitly
        }

        string tap = $"ovcli{Environment.ProcessId % 100_000}";
        using var stop = new CancellationTokenSource();
        Ovnsim.Cli.Commands.RunStop = stop;
        int code = -1;
        var cli = new Thread(() => code = Ovnsim.Cli.Program.Run(["run", "--nb", TestData.Seed("seed.nbctl"), "--port", $"vm2p=tap:{tap}"], stdout, stderr));
        try
        {
            cli.Start();
            var clock = Stopwatch.StartNew();
            while (!Directory.Exists($"/sys/class/net/{tap}") && clock.ElapsedMilliseconds < 20_000 && cli.IsAlive)
            {
                Thread.Sleep(50);
            }

            Assert.True(Directory.Exists($"/sys/class/net/{tap}"), $"no {tap}: {stdout}{stderr}");
        }
        finally
        {
            stop.Cancel();
            cli.Join(10_000);
            Ovnsim.Cli.Commands.RunStop = null;
        }

        Assert.True(code == 0, stdout.ToString() + stderr);
        Assert.Contains($"vm2p (7c9d2e4f-1a3b-4c5d-8e6f-9a0b1c2d3e72) on tap:{tap}", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("stopped after 0 packets", stdout.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists($"/sys/class/net/{tap}"), "the TAP device outlived ovnsim run");
    }

    /// <summary>Runs <paramref name="body"/> on a new thread that has entered the network namespace (setns); sockets it
    /// creates live in that namespace.</summary>
    private static Thread InNamespace(string ns, Action body)
    {
        var t = new Thread(() =>
        {
            using var f = File.OpenHandle($"/var/run/netns/{ns}");
            if (SetNs((int)f.DangerousGetHandle(), 0x40000000) != 0)
            {
                throw new IOException($"setns {ns}: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            body();
        }) { IsBackground = true };
        t.Start();
        return t;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    private static void Ip(string args) => Run("ip", args);

    /// <summary>
    /// Deletes the namespaces of an earlier test process that is gone (a test host that crashed never reached its
    /// finally), so that they do not pile up on a machine that runs the tests often.
    /// </summary>
    private static void RemoveStaleNamespaces()
    {
        var (_, list) = RunIp("netns list");
        foreach (string line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            var m = System.Text.RegularExpressions.Regex.Match(name, @"^ovnsim-(ext|vm2)-(\d+)$");
            if (m.Success && !Directory.Exists($"/proc/{m.Groups[2].Value}"))
            {
                TryIp($"netns del {name}");
            }
        }
    }

    private static void Run(string program, string args)
    {
        var (code, output) = RunProgram(program, args);
        Assert.True(code == 0, $"{program} {args}: {output}");
    }

    private static void TryIp(string args) => RunIp(args);

    private static (int Code, string Output) RunIp(string args) => RunProgram("ip", args);

    private static (int Code, string Output) RunProgram(string program, string args)
    {
        var psi = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
