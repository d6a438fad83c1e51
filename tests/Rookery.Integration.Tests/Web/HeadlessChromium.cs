using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rookery.Integration.Tests.Web;

/// <summary>
/// Debian's Chromium, headless, driven over the Chrome DevTools protocol on a WebSocket (System.Net.WebSockets, no
/// package, nothing downloaded): one page, navigate, evaluate JavaScript, wait for a condition with a deadline, take a
/// screenshot. Skips the test when /usr/bin/chromium is missing (<c>./test.sh</c> installs it as root).
/// </summary>
public sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    /// <summary>How long a single protocol command may take.</summary>
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How often a condition is evaluated while waiting for it.</summary>
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(20);

    private readonly Process _process;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly string _profile;
    private readonly CancellationTokenSource _stop = new();
    private Task? _reader;
    private string? _session;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Starts the browser with one blank page of <paramref name="width"/> × <paramref name="height"/> CSS pixels.</summary>
    public static async Task<HeadlessChromium> StartAsync(int width = 1280, int height = 860)
    {
        if (!File.Exists(Executable))
        {
            Assert.Skip($"{Executable} is not installed (apt-get install chromium; ./test.sh installs it when run as root)");
        }

        var profile = Directory.CreateTempSubdirectory("rookery-chromium-").FullName;
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                     "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-component-update", "--mute-audio",
                     // The node's certificate is self-signed: the tests pin its fingerprint on their own HTTP requests instead.
                     "--ignore-certificate-errors", $"--user-data-dir={profile}", "--remote-debugging-port=0", $"--window-size={width},{height}", "about:blank",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.StandardOutput.ReadToEndAsync(CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).Ignore();
        var browser = new HeadlessChromium(process, profile);
        var endpoint = await ReadEndpointAsync(process);
        await browser._socket.ConnectAsync(new Uri(endpoint), TestContext.Current.CancellationToken);
        browser._reader = Task.Run(browser.ReadAsync);
        var target = await browser.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, session: false);
        var attached = await browser.SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target["targetId"]!.GetValue<string>(), ["flatten"] = true }, session: false);
        browser._session = attached["sessionId"]!.GetValue<string>();
        await browser.SendAsync("Page.enable", []);
        await browser.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false });
        return browser;
    }

    /// <summary>Opens <paramref name="url"/> and waits until the document finished loading.</summary>
    public async Task NavigateAsync(string url)
    {
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        await WaitForAsync("document.readyState === 'complete' && location.href !== 'about:blank'", TimeSpan.FromSeconds(20), $"the page {url} did not load");
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page (promises awaited) and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"the page threw on `{expression}`: {exception.ToJsonString()}");
        }

        return result["result"]?["value"];
    }

    public async Task<string?> TextAsync(string expression) => (await EvaluateAsync(expression))?.ToString();

    /// <summary>Waits until <paramref name="condition"/> (JavaScript) is truthy; the time it took; fails with <paramref name="what"/> and the page's text at the deadline.</summary>
    public async Task<TimeSpan> WaitForAsync(string condition, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await EvaluateAsync($"!!({condition})") is JsonValue value && value.GetValue<bool>())
                {
                    return clock.Elapsed;
                }
            }
            catch (InvalidOperationException)
            {
                // The page is between two documents; ask again.
            }

            if (clock.Elapsed > deadline)
            {
                var text = await TextAsync("document.body ? document.body.innerText : '(no body)'");
                Assert.Fail($"{what} within {deadline.TotalSeconds} s (waited for `{condition}`); the page shows:\n{text}");
            }

            await Task.Delay(s_poll, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>A PNG of the page's viewport.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var close = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, close.Token);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The browser is killed below anyway.
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
        _socket.Dispose();
        _stop.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its profile while it dies; the temporary directory is cleaned by the system.
        }
    }

    private static async Task<string> ReadEndpointAsync(Process process)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var seen = new StringBuilder();
        while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.AppendLine(line);
            if (DevToolsLine().Match(line) is { Success: true } match)
            {
                // Keep draining stderr so the browser never blocks on a full pipe.
                process.StandardError.ReadToEndAsync(CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default).Ignore();
                return match.Groups[1].Value;
            }
        }

        throw new InvalidOperationException($"chromium did not print its DevTools address:\n{seen}");
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters, bool session = true)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (session)
        {
            message["sessionId"] = _session;
        }

        var answer = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, TestContext.Current.CancellationToken);
        var reply = await answer.Task.WaitAsync(s_commandTimeout, TestContext.Current.CancellationToken);
        if (reply["error"] is { } error)
        {
            throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        }

        return reply["result"] ?? new JsonObject();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage)
                {
                    continue;
                }

                var node = JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length));
                message.SetLength(0);
                if (node?["id"] is JsonValue idValue && _pending.TryRemove(idValue.GetValue<int>(), out var answer))
                {
                    answer.TrySetResult(node);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException or JsonException)
        {
            // The browser went away; waiting commands fail below.
        }

        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(new InvalidOperationException("the browser closed its DevTools connection"));
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsLine();
}

internal static class TaskExtensions
{
    /// <summary>A background drain whose end nobody waits for.</summary>
    public static void Ignore(this Task task) => _ = task;
}
