using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Ovnsim.Capture;

/// <summary>A live Ethernet port: frames arrive on it from the outside, and frames are sent out of it.</summary>
public interface ILivePort : IDisposable
{
    /// <summary>What it is (<c>tap:NAME</c>, <c>if:NAME</c>), for messages.</summary>
    string Description { get; }

    /// <summary>Starts delivering arriving frames to <paramref name="receive"/> (on a thread of the port's own).</summary>
    void Start(Action<byte[]> receive);

    /// <summary>Sends a frame out of the port.</summary>
    void Send(byte[] frame);
}

/// <summary>
/// A Linux TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI): created (or attached to, if it exists and is not in use)
/// when opened, gone when disposed unless made persistent elsewhere. What the kernel sends on the interface is read
/// here; what is written here the kernel receives on it. The device can be moved into another network namespace
/// while open.
/// </summary>
public sealed partial class TapPort : ILivePort
{
    private const int ORdWr = 2, OCloexec = 0x80000;
    private const ulong TunSetIff = 0x400454ca;
    private const short IffTap = 0x0002, IffNoPi = 0x1000;
    private const short PollIn = 0x0001;

    private readonly int _fd;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _reader;

    /// <summary>Opens (creating) the TAP device <paramref name="name"/>.</summary>
    /// <exception cref="IOException">No /dev/net/tun, no permission (CAP_NET_ADMIN), or a bad name.</exception>
    public TapPort(string name)
    {
        if (name.Length is 0 or > 15)
        {
            throw new ArgumentException($"tap:{name}: an interface name has 1 to 15 characters");
        }

        Name = name;
        _fd = Open("/dev/net/tun", ORdWr | OCloexec);
        if (_fd < 0)
        {
            throw new IOException($"tap:{name}: cannot open /dev/net/tun ({Marshal.GetLastPInvokeErrorMessage()})");
        }

        var req = new byte[40];
        System.Text.Encoding.ASCII.GetBytes(name, req);
        BitConverter.TryWriteBytes(req.AsSpan(16), (short)(IffTap | IffNoPi));
        if (Ioctl(_fd, TunSetIff, req) < 0)
        {
            string why = Marshal.GetLastPInvokeErrorMessage();
            Close(_fd);
            throw new IOException($"tap:{name}: TUNSETIFF failed ({why}; creating a TAP device needs CAP_NET_ADMIN)");
        }
    }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public string Description => $"tap:{Name}";

    /// <inheritdoc/>
    public void Start(Action<byte[]> receive)
    {
        _reader = new Thread(() => ReadLoop(receive)) { IsBackground = true, Name = $"tap:{Name}" };
        _reader.Start();
    }

    private void ReadLoop(Action<byte[]> receive)
    {
        var buffer = new byte[65_536];
        var pfd = new PollFd { Fd = _fd, Events = PollIn };
        while (!_stop.IsCancellationRequested)
        {
            pfd.Revents = 0;
            int ready = Poll(ref pfd, 1, 100);
            if (ready <= 0 || (pfd.Revents & PollIn) == 0)
            {
                continue;
            }

            nint n = Read(_fd, buffer, buffer.Length);
            if (n > 0)
            {
                receive(buffer.AsSpan(0, (int)n).ToArray());
            }
        }
    }

    /// <inheritdoc/>
    public void Send(byte[] frame)
    {
        if (Write(_fd, frame, frame.Length) < 0)
        {
            // The interface is down or gone: the frame is lost on the wire, as a real NIC would lose it.
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stop.Cancel();
        _reader?.Join();
        Close(_fd);
        _stop.Dispose();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, ulong request, byte[] arg);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, ulong nfds, int timeout);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

/// <summary>
/// An existing interface through SharpPcap (libpcap): frames captured on it in promiscuous mode (inbound only, so
/// what is sent is not read back) go in; frames sent are injected on it. Needs Debian's libpcap0.8.
/// </summary>
public sealed class PcapPort : ILivePort
{
    private readonly LibPcapLiveDevice _device;

    /// <summary>Opens interface <paramref name="name"/>.</summary>
    /// <exception cref="IOException">No such interface, or libpcap is missing or not permitted.</exception>
    public PcapPort(string name)
    {
        Name = name;
        try
        {
            _device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == name)
                ?? throw new IOException($"if:{name}: no such interface (libpcap lists {string.Join(", ", LibPcapLiveDeviceList.New().Select(d => d.Name))})");
            _device.Open(new DeviceConfiguration { Mode = DeviceModes.Promiscuous, ReadTimeout = 50, Immediate = true });
            // libpcap's "inbound" qualifier (Linux): what this port sends is not read back as arriving.
            _device.Filter = "inbound";
        }
        catch (Exception e) when (e is DllNotFoundException or PcapException or TypeInitializationException)
        {
            throw new IOException($"if:{name}: {e.Message} (capturing needs libpcap0.8 and CAP_NET_RAW)", e);
        }
    }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public string Description => $"if:{Name}";

    /// <inheritdoc/>
    public void Start(Action<byte[]> receive)
    {
        _device.OnPacketArrival += (_, e) => receive(e.GetPacket().Data);
        _device.StartCapture();
    }

    /// <inheritdoc/>
    public void Send(byte[] frame)
    {
        try
        {
            _device.SendPacket(frame);
        }
        catch (PcapException)
        {
            // The interface is down, gone or closed: the frame is lost on the wire, as with a TAP device (TapPort.Send).
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_device.Started)
        {
            _device.StopCapture();
        }

        _device.Close();
    }
}
