-- Room on each page for updated row versions, so status updates stay HOT (no index writes).
ALTER TABLE "runs" SET (fillfactor = 70);
