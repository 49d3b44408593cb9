/// The dashboard's page and style sheet, served by `GET /ui` and `/ui/app.css` from the binary.
/// The page is only a frame: without a token it shows the login; with one, `DashboardScript`
/// fills it from the admin API.
enum DashboardPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Sluice</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/ui/app.css">
    <script src="/ui/app.js" defer></script>
    </head>
    <body>
    <header>
      <h1>Sluice</h1>
      <span id="instance"></span>
      <span id="status" role="status"></span>
      <button type="button" id="signout" hidden>Sign out</button>
    </header>
    <main>
      <form id="login" hidden>
        <h2>Admin token</h2>
        <p>The dashboard calls the admin API with the token. It is kept in this tab's session
        storage only and sent in the Authorization header, never in a URL.</p>
        <label for="token">Token</label>
        <input id="token" type="password" autocomplete="current-password" required>
        <button type="submit" id="signin">Sign in</button>
        <p id="login-error" role="alert"></p>
      </form>
      <div id="dashboard" hidden>
        <section class="card" id="fleet" hidden>
          <h2>Fleet</h2>
          <div id="fleet-body"></div>
        </section>
        <div id="routes"></div>
        <section class="card">
          <h2>Events</h2>
          <ol id="events" reversed></ol>
        </section>
      </div>
    </main>
    <dialog id="confirm">
      <h2 id="confirm-title"></h2>
      <p id="confirm-text"></p>
      <label for="confirm-reason">Reason for the event log (optional)</label>
      <input id="confirm-reason" type="text">
      <div class="actions">
        <button type="button" id="confirm-cancel">Cancel</button>
        <button type="button" id="confirm-ok" class="danger">Confirm</button>
      </div>
    </dialog>
    </body>
    </html>
    """#

    static let style = #"""
    :root { --blue: #1f5fbf; --green: #1b7a3a; --ink: #1d2430; --muted: #5b6577; --line: #d5dae3; --bad: #b3261e; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f4f6f9; }
    header { display: flex; gap: 16px; align-items: baseline; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
    header h1 { font-size: 18px; margin: 0; }
    #instance, #status { color: var(--muted); }
    #status.failing { color: var(--bad); font-weight: 600; }
    #signout { margin-left: auto; }
    main { max-width: 1400px; margin: 0 auto; padding: 16px 20px; }
    h2 { font-size: 16px; margin: 0 0 8px; }
    h3 { font-size: 14px; margin: 12px 0 6px; }
    .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin-bottom: 16px; }
    #login { max-width: 420px; margin: 60px auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 20px; }
    #login input { display: block; width: 100%; margin: 4px 0 12px; padding: 6px; font: inherit; }
    #login-error { color: var(--bad); }
    button { font: inherit; padding: 4px 12px; border: 1px solid #9aa3b2; border-radius: 4px; background: #fff; cursor: pointer; }
    button:disabled { opacity: .45; cursor: default; }
    button.danger { border-color: var(--bad); color: var(--bad); }
    .muted { color: var(--muted); }
    .route-head { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; }
    .split { display: flex; height: 30px; border: 1px solid var(--ink); border-radius: 4px; overflow: hidden; margin: 8px 0 4px; }
    .split div { color: #fff; font-weight: 600; line-height: 28px; padding: 0 8px; white-space: nowrap; overflow: hidden; }
    .split .blue { background: var(--blue); }
    .split .green { background: repeating-linear-gradient(135deg, var(--green) 0 8px, #145c2c 8px 16px); }
    .split-text { font-weight: 600; }
    .state { font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }
    .state.reverted, .state.aborted { color: var(--bad); }
    .state.promoted { color: var(--green); }
    .steps { display: flex; gap: 6px; list-style: none; padding: 0; margin: 6px 0; flex-wrap: wrap; }
    .steps li { border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px; }
    .steps li.done { background: #eef1f5; }
    .steps li.current { border: 2px solid var(--ink); font-weight: 700; }
    .controls { display: flex; gap: 8px; margin: 10px 0 4px; flex-wrap: wrap; }
    table { border-collapse: collapse; }
    th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
    th { color: var(--muted); font-weight: 600; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    .meter { width: 120px; height: 10px; border: 1px solid var(--ink); border-radius: 2px; overflow: hidden; display: inline-block; }
    .meter div { height: 100%; background: var(--ink); }
    .meter.fires div { background: var(--bad); }
    .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
    figure { margin: 0; }
    figcaption { font-weight: 600; font-size: 13px; }
    svg.chart { width: 100%; height: auto; display: block; }
    svg.chart .axis { stroke: var(--line); }
    svg.chart text { font-size: 10px; fill: var(--muted); }
    svg.chart .blue { stroke: var(--blue); fill: none; stroke-width: 1.5; }
    svg.chart .green { stroke: var(--green); fill: none; stroke-width: 1.5; stroke-dasharray: 5 3; }
    .legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); }
    .legend .blue { color: var(--blue); }
    .legend .green { color: var(--green); }
    .down, .store-down { color: var(--bad); font-weight: 600; }
    .store-ok { color: var(--green); font-weight: 600; }
    #fleet-instances tr.leader td:first-child { font-weight: 700; }
    #events { padding-left: 0; list-style: none; margin: 0; max-height: 420px; overflow: auto; font-size: 13px; }
    #events li { padding: 4px 0; border-top: 1px solid #eef1f5; }
    #events .type { font-weight: 700; }
    dialog { border: 1px solid var(--ink); border-radius: 6px; max-width: 460px; }
    dialog input { display: block; width: 100%; margin: 4px 0 12px; padding: 6px; font: inherit; }
    dialog .actions { display: flex; justify-content: flex-end; gap: 8px; }
    """#
}
