using BenchmarkDotNet.Running;

namespace Ovnsim.Bench;

/// <summary>Runs the suites: <c>dotnet run -c Release --project bench/Ovnsim.Bench -- --filter '*'</c>.</summary>
internal static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
