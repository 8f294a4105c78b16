// solve.cjs — runs rattler (npm @conda-org/rattler, WASM) as an independent peer solver on
// local channel directories. rattler only speaks http(s), so each channel is served from a
// loopback HTTP server; rattler has no virtual-package parameter, so __glibc/__cuda/... are
// served as records of one more channel (listed last) and dropped from the answer.
//
//   node solve.cjs --channel DIR [--channel DIR...] [--cuda V] [--glibc V] [--repeat N]
//                  [--out FILE] SPEC...
// Prints one JSON object: {"ms": [per-run wall times], "packages": [{name, version, build,
// build_number, subdir, fn, depends}...]} sorted by name (to --out FILE, else stdout).
// Run 1 is cold (fetch + parse + solve); later runs reuse the process (rattler keeps nothing
// between simpleSolve calls that we know of, so they mostly show JIT warm-up).
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const { simpleSolve } = require('@conda-org/rattler');

function parseArgs(argv) {
	const o = { channels: [], cuda: null, glibc: '2.28', repeat: 1, out: null, specs: [] };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--channel') o.channels.push(path.resolve(argv[++i]));
		else if (a === '--cuda') o.cuda = argv[++i];
		else if (a === '--glibc') o.glibc = argv[++i];
		else if (a === '--repeat') o.repeat = Number(argv[++i]);
		else if (a === '--out') o.out = argv[++i];
		else o.specs.push(a);
	}
	if (!o.channels.length || !o.specs.length) {
		process.stderr.write('usage: node solve.cjs --channel DIR [--cuda V] [--glibc V] SPEC...\n');
		process.exit(2);
	}
	return o;
}

// The virtual packages imgbuild adds (conda/virtual.c), as repodata records.
function virtualRepodata(o) {
	const pkgs = {};
	const add = (name, version, build) => {
		pkgs[`${name}-${version}-${build}.tar.bz2`] = {
			name, version, build, build_number: 0, depends: [], subdir: 'linux-64',
			md5: '0'.repeat(32), sha256: '0'.repeat(64), size: 0,
		};
	};
	add('__unix', '0', '0');
	add('__linux', '5.10', '0');
	add('__glibc', o.glibc, '0');
	add('__archspec', '1', 'x86_64');
	if (o.cuda) add('__cuda', o.cuda, '0');
	return JSON.stringify({ info: { subdir: 'linux-64' }, packages: pkgs, 'packages.conda': {}, repodata_version: 1 });
}

function serve(o) {
	const virt = virtualRepodata(o);
	const empty = JSON.stringify({ info: {}, packages: {}, 'packages.conda': {}, repodata_version: 1 });
	const server = http.createServer((req, res) => {
		// /c<i>/<subdir>/<file> or /virtual/<subdir>/<file>
		const m = /^\/(c(\d+)|virtual)\/([a-z0-9-]+)\/([^/]+)$/.exec(req.url);
		if (!m || m[4] !== 'repodata.json') {
			res.writeHead(404).end();
			return;
		}
		if (m[1] === 'virtual') {
			res.writeHead(200, { 'content-type': 'application/json' }).end(m[3] === 'linux-64' ? virt : empty);
			return;
		}
		const file = path.join(o.channels[Number(m[2])], m[3], 'repodata.json');
		fs.stat(file, (err, st) => {
			if (err) {
				res.writeHead(200, { 'content-type': 'application/json' }).end(empty);
				return;
			}
			res.writeHead(200, { 'content-type': 'application/json', 'content-length': st.size });
			fs.createReadStream(file).pipe(res);
		});
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	const server = await serve(o);
	const base = `http://127.0.0.1:${server.address().port}`;
	const urls = o.channels.map((_, i) => `${base}/c${i}`).concat([`${base}/virtual`]);
	const ms = [];
	let solved = null;
	let failure = null;
	for (let r = 0; r < o.repeat; r++) {
		const t0 = process.hrtime.bigint();
		try {
			solved = await simpleSolve(o.specs, urls, ['linux-64', 'noarch'], []);
		} catch (e) {
			failure = String(e && e.message ? e.message : e);
			break;
		}
		ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	server.close();
	const result = { ms };
	if (failure) {
		result.error = failure;
	} else {
		result.packages = solved
			.filter((p) => !p.packageName.startsWith('__'))
			.map((p) => ({
				name: p.packageName, version: p.version, build: p.build,
				build_number: p.buildNumber === undefined ? null : Number(p.buildNumber),
				subdir: p.subdir, fn: p.filename, depends: p.depends || [],
			}))
			.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	}
	const text = JSON.stringify(result) + '\n';
	if (o.out) fs.writeFileSync(o.out, text);
	else process.stdout.write(text);
	process.exit(failure ? 1 : 0);
}

main();
