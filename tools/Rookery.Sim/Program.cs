namespace Rookery.Sim;

/// <summary>Seed replay tool: runs one simulation seed and prints its full trace.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: rookery-sim --seed N (scenarios arrive with the simulator)");
        return args.Length == 0 ? 2 : 1;
    }
}
