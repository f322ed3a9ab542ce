//! Fixture pages served on 127.0.0.1.

pub const ARTICLE: &str = r#"<!doctype html><html><head><title>Fixture Article</title></head>
<body><h1>Hello from Clef</h1><p>The quick brown fox jumps over the lazy dog.</p>
<p style="display:none">hidden words</p></body></html>"#;

pub const CLICK: &str = r#"<!doctype html><title>Click</title>
<body style="margin:0">
<button id="go" style="position:absolute;left:100px;top:80px;width:160px;height:50px"
  onclick="document.getElementById('out').textContent='clicked ' + (++window.count)">Press me</button>
<p id="out" style="position:absolute;top:200px">not yet</p>
<script>window.count = 0; window.downs = [];
document.getElementById('go').addEventListener('mousedown', e => window.downs.push([e.clientX, e.clientY]));</script>
</body>"#;

pub const FORM: &str = r#"<!doctype html><title>Form</title>
<body style="margin:0">
<form id="f" action="/submitted" method="get">
<input id="name" name="name" style="position:absolute;left:20px;top:20px;width:300px;height:30px">
</form></body>"#;

pub const SUBMITTED: &str = r#"<!doctype html><title>Submitted</title><p>thanks</p>"#;

pub const LINKS: &str = r#"<!doctype html><title>Links</title>
<body style="margin:0"><a id="next" href="/second" style="display:block;position:absolute;left:30px;top:30px;width:200px;height:40px;font-size:30px">Next page</a></body>"#;

pub const SECOND: &str = r#"<!doctype html><title>Second</title><p>second page</p>"#;

pub const TALL: &str = r#"<!doctype html><title>Tall</title>
<body style="margin:0"><div style="height:5000px;background:linear-gradient(#fff,#000)">tall</div></body>"#;

/// Left half red, right half blue, a green square at (100,100)–(200,200).
pub const COLOURS: &str = r#"<!doctype html><title>Colours</title>
<style>html,body{margin:0;height:100%} .l{position:fixed;left:0;top:0;width:50%;height:100%;background:#ff0000}
.r{position:fixed;right:0;top:0;width:50%;height:100%;background:#0000ff}
.g{position:fixed;left:100px;top:100px;width:100px;height:100px;background:#00ff00}</style>
<div class=l></div><div class=r></div><div class=g></div>"#;

pub const DIALOG: &str = r#"<!doctype html><title>Dialog</title>
<script>alert('hello'); window.answer = confirm('sure?');</script><p>after dialogs</p>"#;

/// Unclosed tags, stray end tags, bad nesting: browsers still render it.
pub const MALFORMED: &str =
    "<html><title>Broken</title><body><div><p>one<p>two</span><table><td>cell</div>";
