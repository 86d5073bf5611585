using Ovnsim.Cli;

namespace Ovnsim.Tests;

/// <summary>The command line: output, messages and exit statuses.</summary>
public sealed class CliTests
{
    [Fact]
    public void Nb_show_prints_the_reference_and_exits_0()
    {
        var (code, stdout, stderr) = Run("nb", "show", "--nb", TestData.Seed("nb.db"));
        Assert.Equal(0, code);
        Assert.Equal(File.ReadAllText(TestData.Seed("nbctl-show.txt")), stdout);
        Assert.Empty(stderr);
    }

    [Fact]
    public void Nb_show_reads_a_command_file_given_as_nb()
    {
        var (code, stdout, _) = Run("nb", "show", $"--nb={TestData.Seed("seed.nbctl")}");
        Assert.Equal(0, code);
        Assert.Contains("(aka vm2p)", stdout, StringComparison.Ordinal);
        Assert.Contains("gateway chassis: [hv1]", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_file_is_one_line_on_stderr_and_exit_1()
    {
        string path = TestData.Scratch("OVSDB JSON 5 0000000000000000000000000000000000000000\nhello"u8.ToArray());
        var (code, stdout, stderr) = Run("nb", "show", "--nb", path);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.StartsWith($"ovnsim: {path}: record 1 at byte offset 0: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void A_missing_file_is_exit_1()
    {
        var (code, _, stderr) = Run("nb", "show", "--nb", "/nonexistent/nb.db");
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/nb.db: cannot open", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "frob" }, "unknown command 'frob'")]
    [InlineData(new[] { "nb", "show" }, "'nb show' needs --nb FILE")]
    [InlineData(new[] { "nb", "show", "--nb" }, "option --nb needs a value")]
    [InlineData(new[] { "nb", "show", "--bogus", "x" }, "unknown option --bogus")]
    public void Usage_errors_exit_2(string[] args, string message)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// The benchmark prints what real <c>ovstest test-classifier benchmark 1000 1000 30 1 200000</c> printed
    /// (Data/classifier/ovstest-benchmark.txt) in its layout, with and without wildcards; then the 30-subtable variant.
    /// </summary>
    [Fact]
    public void Bench_classifier_prints_the_real_benchmark_counts_in_its_layout()
    {
        var (code, stdout, stderr) = Run("bench", "classifier", "--lookups", "200000");
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.StartsWith("\nBenchmarking with:\n1000 rules with 1000 priorities in 30 tables, 1 threads doing 200000 lookups each\n", stdout, StringComparison.Ordinal);
        string[] parts = stdout.Split("Rules matching only");
        Assert.Equal(2, parts.Length);
        Assert.Contains("1000 rules in 1 subtables", parts[0], StringComparison.Ordinal);
        Assert.Equal(2, parts[0].Split("\nhits: 23782, misses: 176218\nclassifier lookups: ").Length - 1);
        Assert.Contains("\nWithout wildcards: \n\nhits:", parts[0], StringComparison.Ordinal);
        Assert.Contains("\nWith wildcards: \n\nhits:", parts[0], StringComparison.Ordinal);
        Assert.Contains("1000 rules in 30 subtables", parts[1], StringComparison.Ordinal);
        Assert.Equal(2, parts[1].Split("\nhits: 200000, misses: 0\n").Length - 1);
    }

    [Fact]
    public void Demo_runs_without_arguments_and_shows_the_port_forwarding()
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"ovnsim-demo-{Guid.NewGuid():N}");
        var (code, stdout, stderr) = Run("demo", "--out", outDir);
        Assert.Equal(0, code);
        Assert.Empty(stderr);

        // The seven packets, step by step: what went in, the logical flows that did something, what came out, conntrack.
        Assert.Contains("Step 02-syn-2222: TCP SYN 172.24.4.1:40000 -> 172.24.4.111:2222", stdout, StringComparison.Ordinal);
        Assert.Contains("lr_in_dnat (120): ct_lb_mark(backends=10.0.0.12:22);", stdout, StringComparison.Ordinal);
        Assert.Contains("out vm2p: fa:16:3e:d3:8c:20 > fa:16:3e:b0:3f:bf, 172.24.4.1.40000 > 10.0.0.12.22: Flags [S], seq 1000, ack 0, ttl 63", stdout, StringComparison.Ordinal);
        Assert.Contains("to ovn-controller: arp (held for the next hop's MAC)", stdout, StringComparison.Ordinal);
        Assert.Contains("mark=2,protoinfo=(state=ESTABLISHED)", stdout, StringComparison.Ordinal);

        // Its pcaps hold, port by port, exactly what real OVS sent in the reference run's seven steps.
        try
        {
            foreach (var (iface, file) in new[] { ("vm2p", "vm2p.pcap"), ("vm1p", "vm1p.pcap"), ("provnet", "provnet-c0458a6d-2f1e-4d3c-b2a1-9f8e7d6c5b43.pcap") })
            {
                var expected = SeedReplayTests.Steps().Select(s => TestData.Seed($"pcap/out-{s.Name}-{iface}-tx.pcap")).Where(File.Exists)
                    .SelectMany(f => Ovnsim.Capture.PcapReader.ReadAll(f)).Select(p => Convert.ToHexString(p.Data));
                Assert.Equal(expected, Ovnsim.Capture.PcapReader.ReadAll(Path.Combine(outDir, file)).Select(p => Convert.ToHexString(p.Data)));
            }
        }
        finally
        {
            Directory.Delete(outDir, true);
        }

        Assert.Contains("172.24.4.111:2222", stdout, StringComparison.Ordinal);
        Assert.Contains("10.0.0.12:22", stdout, StringComparison.Ordinal);
        Assert.Contains("switch ", stdout, StringComparison.Ordinal);
        Assert.Contains("ovn-northd compiles them into 286 logical flows", stdout, StringComparison.Ordinal);
        Assert.Contains("action=(ct_lb_mark(backends=10.0.0.12:22);)", stdout, StringComparison.Ordinal);
        Assert.Contains("turns them into 479 OpenFlow flows on br-int", stdout, StringComparison.Ordinal);
        Assert.Contains("actions=ct(commit,table=16,zone=NXM_NX_REG11[0..15],nat(dst=10.0.0.12:22),exec(set_field:0x2/0x2->ct_mark))",
            stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Lflows_with_nb_and_sb_prints_the_reference_dump_flows()
    {
        var (code, stdout, stderr) = Run("lflows", "--nb", TestData.Seed("nb.db"), "--sb", TestData.Seed("sb.db"));
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.Equal(File.ReadAllText(TestData.Seed("lflows.txt")), stdout);
    }

    [Fact]
    public void Lflows_with_sb_alone_prints_that_databases_flows()
    {
        var (code, stdout, _) = Run("lflows", "--sb", TestData.Seed("sb.db"));
        Assert.Equal(0, code);
        Assert.Equal(File.ReadAllText(TestData.Seed("lflows.txt")), stdout);
    }

    [Fact]
    public void Lflows_reports_unsimulated_rows_on_stderr_and_still_prints()
    {
        string script = TestData.Scratch(
            """
            ls-add sw0
            lsp-add sw0 p1 -- lsp-set-addresses p1 "00:00:00:00:00:01 10.0.0.1"
            --id=@acl create ACL direction=from-lport priority=1001 match="ip4" action=allow-related -- add Logical_Switch sw0 acls @acl
            """u8.ToArray(), "acl.nbctl");
        var (code, stdout, stderr) = Run("lflows", "--nb", script);
        Assert.Equal(0, code);
        Assert.Contains("1 ACL row(s): ACLs are not simulated yet", stderr, StringComparison.Ordinal);
        Assert.Contains("Datapath: \"sw0\"", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Lflows_without_a_database_is_a_usage_error()
    {
        var (code, _, stderr) = Run("lflows");
        Assert.Equal(2, code);
        Assert.Contains("lflows needs --nb FILE", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Lflows_with_a_bad_nb_file_is_exit_1()
    {
        string script = TestData.Scratch("lr-nat-add nowhere snat 1.2.3.4 10.0.0.0/24\n"u8.ToArray(), "bad.nbctl");
        var (code, stdout, stderr) = Run("lflows", "--nb", script);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains("bad.nbctl:1:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Db_summary_counts_rows()
    {
        var (code, stdout, _) = Run("db", "summary", "--db", TestData.Seed("sb.db"));
        Assert.Equal(0, code);
        Assert.StartsWith("OVN_Southbound 20.27.0\n", stdout, StringComparison.Ordinal);
        // 221 rows: dump-flows shows 286 because flows on a datapath group print once per datapath.
        Assert.Matches(@"Logical_Flow\s+221 rows", stdout);
    }

    [Fact]
    public void Openflow_prints_the_seeds_br_int_as_ovs_ofctl_does()
    {
        var (code, stdout, stderr) = Run("openflow", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"), "--no-stats");
        Assert.Equal(0, code);
        var (real, ours) = FlowLines(TestData.Seed("openflow-nostats.txt"), stdout);
        Assert.Equal(479, ours.Count);
        Assert.Equal(real, ours);
        Assert.Empty(stderr);
    }

    [Fact]
    public void Openflow_names_prints_ports_as_ovs_ofctl_names_does()
    {
        var (code, stdout, _) = Run("openflow", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"), "--no-stats", "--names");
        Assert.Equal(0, code);
        var (real, ours) = FlowLines(TestData.Seed("openflow-names-nostats.txt"), stdout);
        Assert.Equal(real, ours);

        // A long patch port name is cut to 15 characters and quoted; a VIF's plain name is not.
        Assert.Contains("in_port=\"patch-br-int-to\",dl_vlan=0", stdout, StringComparison.Ordinal);
        Assert.Contains("actions=output:vm2p", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Openflow_without_ovs_binds_the_sbs_ports_with_documented_ofports()
    {
        var (code, stdout, _) = Run("openflow", "--sb", TestData.Seed("sb.db"), "--no-stats");
        Assert.Equal(0, code);

        // provnet (the localnet port) is ofport 1, then the two VIFs in name order: 7c9d2e4f-… (port key 2 of the
        // private switch) before e1f3a0d2-… (key 1); zones are allocated in name order too (provnet's is 10).
        Assert.Contains("priority=100,in_port=1,dl_vlan=0 actions=pop_vlan,set_field:0xa->reg13,", stdout, StringComparison.Ordinal);
        Assert.Matches(@" cookie=0x1f4a1a6c, priority=100,in_port=2 actions=.*set_field:0x2->reg14,resubmit\(,8\)", stdout);
        Assert.Matches(@" cookie=0x8731886b, priority=100,in_port=3 actions=.*set_field:0x1->reg14,resubmit\(,8\)", stdout);
        Assert.Contains(" cookie=0x8731886b, table=65, priority=100,reg15=0x1,metadata=0x1 actions=output:3", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Groups_prints_one_select_group_per_port_forwarding_backend()
    {
        var (code, stdout, _) = Run("groups", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"));
        Assert.Equal(0, code);
        var real = File.ReadLines(TestData.Seed("groups.txt")).Skip(1).Select(l => l[l.IndexOf(',', StringComparison.Ordinal)..]).Order();
        var ours = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l[l.IndexOf(',', StringComparison.Ordinal)..]).Order();
        Assert.Equal(real, ours);
        Assert.StartsWith("OFPST_GROUP_DESC reply (OF1.5) (xid=0x2):\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Openflow_from_the_nb_database_gives_the_seeds_br_int()
    {
        var (code, stdout, _) = Run("openflow", "--nb", TestData.Seed("nb.db"), "--sb", TestData.Seed("sb.db"),
            "--ovs", TestData.Seed("conf.db"), "--no-stats");
        Assert.Equal(0, code);
        var (real, ours) = FlowLines(TestData.Seed("openflow-nostats.txt"), stdout);
        Assert.Equal(real, ours);
    }

    [Fact]
    public void Openflow_from_the_nb_database_alone_binds_the_vifs()
    {
        var (code, stdout, _) = Run("openflow", "--nb", TestData.Seed("nb.db"), "--no-stats");
        Assert.Equal(0, code);

        // No SB, no conf.db: keys as northd allocates them on an empty SB, the VIFs and the gateway port claimed by
        // the one chassis (hv1), localnet first. Both VIFs enter the pipeline from table 0 and get delivered.
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(stdout, @" priority=100,in_port=[23] actions="));
        Assert.Matches(@"table=65, priority=100,reg15=0x\d+,metadata=0x\d+ actions=output:3", stdout);
        Assert.Contains("group:1", stdout, StringComparison.Ordinal);
    }

    /// <summary>A reference dump's lines and ovnsim's, sorted, with group ids (allocated per run) left out.</summary>
    private static (List<string> Real, List<string> Ours) FlowLines(string referenceFile, string stdout)
    {
        static string Normalize(string line) => System.Text.RegularExpressions.Regex.Replace(line, @"group:\d+", "group:*");
        return (File.ReadLines(referenceFile).Select(Normalize).Order(StringComparer.Ordinal).ToList(),
                stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Normalize).Order(StringComparer.Ordinal).ToList());
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The seed's seven input pcaps as --in arguments (interface names, resolved through --ovs).</summary>
    private static List<string> SeedInputs()
    {
        var args = new List<string>();
        foreach (var (name, iface, _, _) in SeedReplayTests.Steps())
        {
            args.Add("--in");
            args.Add($"{iface}={TestData.Seed($"pcap/in-{name}.pcap")}");
        }

        return args;
    }

    [Fact]
    public void Replay_writes_what_left_each_port_and_the_final_state()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"ovnsim-replay-{Guid.NewGuid():N}");
        try
        {
            var (code, stdout, stderr) = Run([.. new[] { "replay", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"), "--out", dir }, .. SeedInputs()]);
            Assert.True(code == 0, stderr);
            Assert.Contains("replayed 7 packets", stdout, StringComparison.Ordinal);

            // vm2p's pcap holds the two frames real OVS sent it (steps 02 and 05), in order.
            string vm2 = Directory.GetFiles(dir, "7c9d2e4f*.pcap").Single();
            var expected = new[] { "02-syn-2222", "05-ack-2222" }
                .Select(s => Convert.ToHexString(Ovnsim.Capture.PcapReader.ReadAll(TestData.Seed($"pcap/out-{s}-vm2p-tx.pcap")).Single().Data));
            Assert.Equal(expected, Ovnsim.Capture.PcapReader.ReadAll(vm2).Select(p => Convert.ToHexString(p.Data)));
            Assert.Contains("zone=2,mark=2,protoinfo=(state=ESTABLISHED)", File.ReadAllText(Path.Combine(dir, "conntrack.txt")), StringComparison.Ordinal);
            Assert.Contains("172.24.4.1 52:54:00:00:04:01", File.ReadAllText(Path.Combine(dir, "mac-bindings.txt")), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void Replay_with_garps_adds_the_announcements_to_the_provider_port()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"ovnsim-replay-{Guid.NewGuid():N}");
        try
        {
            var (code, _, stderr) = Run([.. new[] { "replay", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"), "--out", dir, "--garps" }, .. SeedInputs()]);
            Assert.True(code == 0, stderr);
            string provnet = Directory.GetFiles(dir, "provnet*.pcap").Single();
            var frames = Ovnsim.Capture.PcapReader.ReadAll(provnet).ToList();

            // The seven steps sent 4 frames there; the announcements add 2 addresses x 5 rounds, the first round at
            // the first packet's time, the last 30 s later, from the router's gateway MAC.
            var garps = frames.Where(f => Convert.ToHexString(f.Data).StartsWith("FFFFFFFFFFFFFA163EF7370B0806", StringComparison.Ordinal)
                && Convert.ToHexString(f.Data.AsSpan(28, 4)) == Convert.ToHexString(f.Data.AsSpan(38, 4))).ToList();
            Assert.Equal(10, garps.Count);
            Assert.Equal(14, frames.Count);
            long first = SeedReplayTests.Steps().Min(s => s.TimeNs) / 1_000_000 * 1_000_000;
            Assert.Equal(first, garps[0].TimestampNs);
            Assert.Equal(first + 30_000_000_000, garps[^1].TimestampNs);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void Conntrack_prints_the_entries_as_dpctl_dump_conntrack_does()
    {
        string[] args = ["conntrack", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db")];
        var (code, stdout, stderr) = Run([.. args, .. SeedInputs()]);
        Assert.True(code == 0, stderr);
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains("tcp,orig=(src=172.24.4.1,dst=172.24.4.111,sport=40000,dport=2222),reply=(src=10.0.0.12,dst=172.24.4.1,sport=22,dport=40000),zone=2,mark=2,protoinfo=(state=ESTABLISHED)", lines);

        var (_, zone9, _) = Run([.. args, "--zone", "9", .. SeedInputs()]);
        Assert.Empty(zone9);
        var (bad, _, badErr) = Run([.. args, "--zone", "x", .. SeedInputs()]);
        Assert.Equal(2, bad);
        Assert.Contains("--zone x", badErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_on_an_unknown_port_names_it_and_exits_1()
    {
        var (code, _, stderr) = Run("conntrack", "--sb", TestData.Seed("sb.db"), "--in", $"nosuchport={TestData.Seed("pcap/in-01-arp-req-fip.pcap")}");
        Assert.Equal(1, code);
        Assert.Contains("no logical port nosuchport", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Stdout, string Stderr) InTempDir(Func<string, (int, string, string)> run)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"ovnsim-replay-{Guid.NewGuid():N}");
        try
        {
            return run(dir);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void Replay_reproduces_the_seed_reference_through_expect()
    {
        // all-IFACE-tx.pcap: everything real OVS sent on each interface, start-up announcements included (ovn-controller
        // had started well before the first injection, hence --garps-before 60).
        var (code, stdout, stderr) = InTempDir(dir => Run([.. new[] { "replay", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"),
            "--out", dir, "--garps-before", "60", "--expect", TestData.Seed("pcap") }, .. SeedInputs()]));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("expect: every compared port sent exactly the expected packets", stdout, StringComparison.Ordinal);
        Assert.Equal(3, stdout.Split('\n').Count(l => l.StartsWith("  expect: ", StringComparison.Ordinal) && l.Contains(" against ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Replay_expect_reports_each_difference_decoded_and_exits_3()
    {
        string expectDir = Path.Combine(Path.GetTempPath(), $"ovnsim-expect-{Guid.NewGuid():N}");
        Directory.CreateDirectory(expectDir);
        try
        {
            foreach (string f in Directory.GetFiles(TestData.Seed("pcap"), "all-*-tx.pcap"))
            {
                File.Copy(f, Path.Combine(expectDir, Path.GetFileName(f)));
            }

            // vm2p's second frame (the ACK) with one TTL less.
            string vm2p = Path.Combine(expectDir, "all-vm2p-tx.pcap");
            byte[] bytes = File.ReadAllBytes(vm2p);
            int second = 24 + 16 + 54 + 16;
            bytes[second + 14 + 8]--;
            File.WriteAllBytes(vm2p, bytes);

            // Without the start-up announcements the provider port misses the ten of them.
            var (code, stdout, _) = InTempDir(dir => Run([.. new[] { "replay", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"),
                "--out", dir, "--expect", expectDir }, .. SeedInputs()]));
            Assert.Equal(3, code);
            Assert.Contains("7c9d2e4f-1a3b-4c5d-8e6f-9a0b1c2d3e72 packet 2: differs", stdout, StringComparison.Ordinal);
            Assert.Contains("ip.ttl: expected 62, got 63", stdout, StringComparison.Ordinal);
            Assert.Contains("expected but not sent: fa:16:3e:f7:37:0b > ff:ff:ff:ff:ff:ff, ARP who-has 172.24.4.20 tell 172.24.4.20", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(expectDir, true);
        }
    }

    [Fact]
    public void Replay_takes_a_pcapng_whose_interfaces_name_the_ports_and_writes_everything_to_one_pcapng()
    {
        var (code, stdout, stderr) = InTempDir(dir =>
        {
            string all = Path.Combine(dir, "all.pcapng");
            Directory.CreateDirectory(dir);
            var r = Run("replay", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"), "--out", dir, "--pcapng", all,
                "--in", TestData.Path("capture", "seed-inputs.pcapng"), "--expect", TestData.Seed("pcap"), "--garps-before", "60");

            // One interface per port; the 7 inputs inbound, the 17 frames that left outbound (10 announcements among them).
            using var reader = Ovnsim.Capture.CaptureFile.Open(all);
            int n = 0;
            while (reader.Next() is not null)
            {
                n++;
            }

            Assert.Equal(7 + 17, n);
            Assert.Contains("7c9d2e4f-1a3b-4c5d-8e6f-9a0b1c2d3e72", reader.Interfaces.Select(i => i.Name));
            return r;
        });
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("expect: every compared port sent exactly the expected packets", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_knows_ports_by_their_neutron_names_and_counts_drops_by_stage_and_reason()
    {
        // A frame from a multicast source MAC, which the switch's port security drops first thing.
        byte[] pcap = File.ReadAllBytes(TestData.Seed("pcap/in-02-syn-2222.pcap"));
        pcap[24 + 16 + 6] |= 1;
        string bad = TestData.Scratch(pcap, "mcast-src.pcap");

        // No --ovs: vm2p is the Neutron name (neutron:port_name) of 7c9d2e4f-…, provnet-c0458a6d-… the localnet port.
        var (code, stdout, stderr) = InTempDir(dir => Run("replay", "--sb", TestData.Seed("sb.db"), "--out", dir,
            "--in", $"provnet-c0458a6d-2f1e-4d3c-b2a1-9f8e7d6c5b43={bad}",
            "--in", $"vm2p={TestData.Seed("pcap/in-03-synack-from-vm2.pcap")}"));
        Assert.True(code == 0, stderr);
        Assert.Matches(@"provnet-c0458a6d-2f1e-4d3c-b2a1-9f8e7d6c5b43 +1 +\d+ +1 +0", stdout);
        Assert.Matches(@"7c9d2e4f-1a3b-4c5d-8e6f-9a0b1c2d3e72 \(vm2p\) +1 +0 +0 +1", stdout);
        Assert.Contains("1  public ls_in_check_port_sec (table 0): drop action (priority 100, match (eth.src[40]))", stdout, StringComparison.Ordinal);
        Assert.Contains("1  arp (held for the next hop's MAC)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_of_a_pcap_without_a_port_or_a_corrupt_input_is_a_clear_error()
    {
        var (code, _, stderr) = InTempDir(dir => Run("replay", "--sb", TestData.Seed("sb.db"), "--out", dir, "--in", TestData.Seed("pcap/in-01-arp-req-fip.pcap")));
        Assert.Equal(1, code);
        Assert.Contains("a pcap file has no interface names; say its port as PORT=", stderr, StringComparison.Ordinal);

        byte[] whole = File.ReadAllBytes(TestData.Path("capture", "seed-inputs.pcapng"));
        string cut = TestData.Scratch(whole[..^10], "cut.pcapng");
        var (code2, stdout2, stderr2) = InTempDir(dir => Run("replay", "--sb", TestData.Seed("sb.db"), "--ovs", TestData.Seed("conf.db"), "--out", dir, "--in", cut));
        Assert.Equal(1, code2);
        Assert.Matches(@"cut\.pcapng: block \d+ \(offset \d+\): truncated block", stderr2);
        Assert.Contains("replayed 6 packets", stdout2, StringComparison.Ordinal);
    }
}
