for (const m of process.argv.slice(2)) { await import(m); }
await new Promise(r=>setTimeout(r,200));
console.log(process.argv.slice(2).join(' '), process.moduleLoadList.some(x=>x.includes('undici')));
