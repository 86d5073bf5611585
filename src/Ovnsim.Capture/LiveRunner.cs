using System.Collections.Concurrent;
using System.Diagnostics;
using Ovnsim.Engine;

namespace Ovnsim.Capture;

/// <summary>
/// Runs a <see cref="Simulator"/> between live ports: every frame that arrives on a port's device is injected on its
/// logical port (one at a time, in arrival order, on the caller's thread), and every frame that leaves a logical port
/// is sent out of its device. Simulated time is the wall clock, so conntrack timeouts and held packets age as they
/// would on a real chassis. Counts what it did as a replay does (<see cref="Summary"/>).
/// </summary>
public sealed class LiveRunner : IDisposable
{
    private readonly Simulator _sim;
    private readonly Dictionary<string, ILivePort> _ports = new(StringComparer.Ordinal);
    private readonly BlockingCollection<(string Port, byte[] Frame)> _arrivals = new(new ConcurrentQueue<(string, byte[])>(), 65_536);
    private readonly long _epochMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>A runner for <paramref name="sim"/>.</summary>
    public LiveRunner(Simulator sim)
    {
        _sim = sim;
        Summary = new ReplaySummary(sim.Ports);
    }

    /// <summary>What has gone through so far.</summary>
    public ReplaySummary Summary { get; }

    /// <summary>Frames dropped because the input queue was full (the simulator fell behind).</summary>
    public long Overruns => Interlocked.Read(ref _overruns);

    private long _overruns;

    /// <summary>Cancelled by <see cref="Dispose"/>, which then waits for <see cref="Run"/> to return before closing the ports.</summary>
    private readonly CancellationTokenSource _disposing = new();

    private readonly ManualResetEventSlim _idle = new(true);

    /// <summary>Attaches <paramref name="device"/> to <paramref name="port"/> (a logical port or any name the simulator knows).</summary>
    /// <exception cref="ArgumentException">No such port, or the port has a device already.</exception>
    public void Attach(string port, ILivePort device)
    {
        string logical = _sim.Resolve(port);
        if (!_ports.TryAdd(logical, device))
        {
            throw new ArgumentException($"--port {port}: {logical} already has {_ports[logical].Description}");
        }
    }

    /// <summary>The current simulated time: the wall clock in ms since the Unix epoch, monotonic.</summary>
    public long NowMs => _epochMs + _clock.ElapsedMilliseconds;

    /// <summary>
    /// Runs until <paramref name="stop"/> is cancelled. With <paramref name="garps"/>, ovn-controller's gratuitous ARPs
    /// for NAT addresses go out from the start, on their schedule.
    /// </summary>
    public void Run(CancellationToken stop, bool garps = false, Action<ReplayStep>? each = null)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, _disposing.Token);
        _idle.Reset();
        try
        {
            RunUntil(garps, each, linked.Token);
        }
        finally
        {
            _idle.Set();
        }
    }

    private void RunUntil(bool garps, Action<ReplayStep>? each, CancellationToken stop)
    {
        foreach (var (port, device) in _ports)
        {
            device.Start(frame =>
            {
                if (!_arrivals.TryAdd((port, frame)))
                {
                    Interlocked.Increment(ref _overruns);
                }
            });
        }

        if (garps)
        {
            _sim.AnnounceAddresses(NowMs);
        }

        while (!stop.IsCancellationRequested)
        {
            ReplayStep step;
            try
            {
                if (_arrivals.TryTake(out var arrival, 100, stop))
                {
                    long now = NowMs;
                    var outputs = _sim.Inject(arrival.Port, arrival.Frame, now);
                    step = new ReplayStep(arrival.Port, now * 1_000_000, arrival.Frame, outputs, _sim.LastFate);
                }
                else
                {
                    var outputs = _sim.AdvanceTo(NowMs);
                    if (outputs.Count == 0)
                    {
                        continue;
                    }

                    step = new ReplayStep(null, NowMs * 1_000_000, null, outputs, null);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }

            foreach (var o in step.Outputs)
            {
                if (_ports.TryGetValue(o.Port, out var device))
                {
                    device.Send(o.Frame);
                }
            }

            Summary.Add(step);
            each?.Invoke(step);
        }
    }

    /// <summary>Stops a <see cref="Run"/> in progress (waiting for it to return), then closes the ports.</summary>
    public void Dispose()
    {
        // A Run still going on another thread stops first: it must not send on a port already closed.
        _disposing.Cancel();
        _idle.Wait();
        _disposing.Dispose();
        _idle.Dispose();
        foreach (var device in _ports.Values)
        {
            device.Dispose();
        }

        _arrivals.Dispose();
    }
}
