using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Rookery.Web;

/// <summary>
/// Browser sessions after a log-in: a random id in a Secure, HttpOnly, SameSite=Strict cookie, kept in memory only (a
/// restart of the daemon logs every browser out). Bounded: the oldest session goes when <see cref="SessionsMax"/> is reached.
/// </summary>
internal sealed class WebSessions
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "rookery_session";

    /// <summary>How long a session lasts after its log-in.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>Sessions kept at once.</summary>
    public const int SessionsMax = 256;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public WebSessions(TimeProvider time) => _time = time;

    /// <summary>A new session id.</summary>
    public string Open()
    {
        var now = _time.GetUtcNow();
        foreach (var (id, expiry) in _expiries)
        {
            if (expiry <= now)
            {
                _expiries.TryRemove(id, out _);
            }
        }

        while (_expiries.Count >= SessionsMax && _expiries.MinBy(pair => pair.Value) is { Key: { } oldest })
        {
            _expiries.TryRemove(oldest, out _);
        }

        var session = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        _expiries[session] = now + Lifetime;
        return session;
    }

    public bool IsOpen(string? session) =>
        session is { Length: 64 } && _expiries.TryGetValue(session, out var expiry) && expiry > _time.GetUtcNow();

    public void Close(string? session)
    {
        if (session is not null)
        {
            _expiries.TryRemove(session, out _);
        }
    }
}
